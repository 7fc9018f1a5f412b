// `snpflow ingest`, `snpflow run CONFIG` (and the pipeline behind `snpflow train`).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/pipeline_config.h"
#include "pipeline/communicator.h"
#include "pipeline/error.h"
#include "stages/ingest_runner.h"
#include "stages/batcher.h"
#include "stages/dist_launch.h"
#include "stages/export.h"
#include "stages/shard_batch_source.h"
#include "stages/train_runner.h"

namespace snpflow::cli {

int RunPipelineCommand(const Args& args, int mode_int) {
  auto mode = static_cast<PipelineMode>(mode_int);
  StageRegistry& registry = DefaultRegistry();
  PipelineSpec spec = ParsePipeline(args, mode, registry);
  if (spec.help) {
    if (mode == PipelineMode::kIngest)
      std::cout << "Usage: snpflow ingest INPUT.vcf[.gz]|INPUT.bcf|- --labels PANEL -o DIR [options]\n\n";
    else if (mode == PipelineMode::kTrain)
      std::cout << "Usage: snpflow train (INPUT --labels PANEL | --data INGEST_DIR) -o DIR [--model dietnet] [options]\n\n";
    std::cout << spec.help_text;
    return 0;
  }
  const IngestSpec& in = spec.ingest;
  if (in.input.path.empty() && spec.data_dir.empty())
    throw UsageError(mode == PipelineMode::kIngest
                         ? "no input; give a VCF/BCF path or - for stdin"
                         : "no input; give a VCF/BCF path, - for stdin, or --data INGEST_DIR");
  if (in.output_dir.empty()) throw UsageError("no output directory; pass -o DIR");

  LaunchEnv dist_env;
  DistOptions dist_options;
  if (!spec.trainer.empty()) {
    dist_options = BuildDistOptions(spec.dist_options);
    dist_env = ReadLaunchEnv(spec.dist, [](const char* name) { return std::getenv(name); });
    if (dist_env.distributed && spec.data_dir.empty())
      throw UsageError("a distributed run reads an existing ingest: run `snpflow ingest` once, "
                       "then pass --data INGEST_DIR to every rank");
  }

  // The trainers are built, and checked against --dist.parallel, before any data is read and
  // before the ranks connect: a rank that fails after connecting takes the rendezvous down with
  // it, and the others would report that instead of the real error.
  std::unique_ptr<Trainer> trainer, baseline;
  if (!spec.trainer.empty()) {
    trainer = registry.Make<Trainer>(spec.trainer, spec.trainer_options, "train");
    if (dist_env.distributed && dist_options.parallel == "snp") CheckSnpParallel(*trainer);
    if (!spec.baseline.empty())
      baseline = registry.Make<Trainer>(spec.baseline, spec.baseline_options, "baseline");
  }

  Dataset data;
  if (!spec.data_dir.empty()) {
    // --data reuses an earlier ingest (the VCF pass is skipped), even where a config names an input.
    // An SNP-parallel rank reads only its SNPs of the store and counts (the baseline, trained on
    // rank 0 alone, and an export need them all).
    if (dist_env.distributed && dist_options.parallel == "snp" && spec.baseline.empty() &&
        !spec.run_export) {
      const int rank = dist_env.rank, world = dist_env.world_size;
      data = LoadDatasetRange(spec.data_dir, [rank, world](uint64_t n_variants) {
        const SnpRange r = SnpRangeOfRank(static_cast<int64_t>(n_variants), rank, world);
        return io::VariantRange{static_cast<uint64_t>(r.begin), static_cast<uint64_t>(r.end)};
      });
    } else {
      data = LoadDataset(spec.data_dir);
    }
  } else {
    if (in.labels_path.empty()) throw UsageError("no label file; pass --labels FILE");
    // A plain ingest only writes the files: its store need not stay readable in memory.
    IngestSpec files_only = in;
    files_only.keep_data = trainer != nullptr || spec.run_export;
    data = RunIngest(registry, files_only).data;
  }

  // A distributed run (--dist, or a torchrun/Slurm launch with WORLD_SIZE > 1): rendezvous once
  // every rank has its data; rank 0 alone prints and writes.
  std::unique_ptr<Communicator> comm;
  if (dist_env.distributed) comm = ConnectViaTorchModule(dist_env, dist_options);

  RunContext ctx;
  ctx.samples = data.samples;
  ctx.output_dir = in.output_dir;
  ctx.seed = in.seed;
  ctx.threads = in.threads;
  ctx.quiet = in.quiet || (comm != nullptr && comm->rank() != 0);
  ctx.input_path = spec.data_dir.empty() ? in.input.path : spec.data_dir;

  if (spec.run_export) {
    auto exporter = registry.Make<ExportStage>("export", spec.export_options, "export");
    exporter->Run(data, ctx);
  }
  if (trainer != nullptr) {
    TrainRunOptions options;
    options.model = spec.trainer;
    options.batcher = BuildBatcherOptions(spec.batcher_options);
    options.folds = spec.folds_to_run;
    options.comm = comm.get();
    options.snp_parallel = dist_options.parallel == "snp";
    if (baseline != nullptr) {
      options.baseline = baseline.get();
      options.baseline_model = spec.baseline;
    }
    RunTraining(data, *trainer, options, ctx);
  }
  return 0;
}

int IngestCommand(const Args& args) {
  return RunPipelineCommand(args, static_cast<int>(PipelineMode::kIngest));
}

int RunCommand(const Args& args) {
  return RunPipelineCommand(args, static_cast<int>(PipelineMode::kRun));
}

}  // namespace snpflow::cli
