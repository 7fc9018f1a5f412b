#include "stages/train/gloo_communicator.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace snpflow {

namespace {

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string WithoutBacktrace(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
  return e.what();
}

int64_t TestHook(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? 0 : std::atoll(v);
}

class GlooCommunicator : public Communicator {
 public:
  GlooCommunicator(const LaunchEnv& env, const DistOptions& options)
      : rank_(env.rank), world_size_(env.world_size), timeout_s_(options.timeout),
        die_at_(TestHook("SNPFLOW_TEST_DIE_AT_COLLECTIVE")),
        hang_at_(TestHook("SNPFLOW_TEST_HANG_AT_COLLECTIVE")) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout * 1000));
    const auto rendezvous_timeout =
        std::chrono::milliseconds(static_cast<int64_t>(options.rendezvous_timeout * 1000));
    const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
    try {
      c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<uint16_t>(env.master_port);
      store_options.isServer = env.rank == 0;
      store_options.numWorkers = static_cast<size_t>(env.world_size);
      store_options.waitWorkers = true;
      store_options.timeout = rendezvous_timeout;
      store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
      auto pg_options = c10d::ProcessGroupGloo::Options::create(timeout);
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname != nullptr && *ifname != '\0')
        pg_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (env.master_addr == "localhost" || env.master_addr.rfind("127.", 0) == 0)
        pg_options->devices.push_back(
            c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        pg_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      pg_options->threads = 1;
      // Gloo's contexts take one timeout for connecting and for every collective (1.13 ignores
      // the per-call one), so wait for the slowest rank to start here, with the rendezvous
      // timeout; once all have joined, the mesh connects within the collective timeout.
      if (store_->add("snpflow/joined", 1) == env.world_size)
        store_->set("snpflow/all-joined", std::vector<uint8_t>{1});
      store_->wait({"snpflow/all-joined"}, rendezvous_timeout);
      store_->setTimeout(timeout);
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, env.rank, env.world_size,
                                                           pg_options);
    } catch (const std::exception& e) {
      throw DistributedError(
          "rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) +
          ": rendezvous at " + where + " (" + env.launcher + " environment) failed within " +
          FormatSeconds(options.rendezvous_timeout) + " s: " + WithoutBacktrace(e) +
          "; check that every rank was started with the same MASTER_ADDR, MASTER_PORT and "
          "WORLD_SIZE, that rank 0 can listen on MASTER_PORT, and that the hosts reach each "
          "other");
    }
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }

  void AllreduceSum(float* data, size_t n) override {
    Allreduce(torch::from_blob(data, {static_cast<int64_t>(n)}, torch::kFloat32), "allreduce");
  }
  void AllreduceSum(double* data, size_t n) override {
    Allreduce(torch::from_blob(data, {static_cast<int64_t>(n)}, torch::kFloat64), "allreduce");
  }
  void Broadcast(float* data, size_t n, int root) override {
    std::vector<at::Tensor> t{torch::from_blob(data, {static_cast<int64_t>(n)}, torch::kFloat32)};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    Run("broadcast", t[0].nbytes(), [&] { return group_->broadcast(t, o); });
  }
  uint64_t bytes_communicated() const override { return bytes_; }

 private:
  void Allreduce(const at::Tensor& tensor, const char* what) {
    std::vector<at::Tensor> t{tensor};
    Run(what, tensor.nbytes(), [&] { return group_->allreduce(t); });
  }

  template <class F>
  void Run(const char* what, size_t bytes, F&& start) {
    ++calls_;
    if (die_at_ > 0 && calls_ == die_at_) std::raise(SIGKILL);
    if (hang_at_ > 0 && calls_ == hang_at_)
      for (;;) pause();
    try {
      start()->wait();
    } catch (const std::exception& e) {
      const std::string cause = WithoutBacktrace(e);
      throw DistributedError("rank " + std::to_string(rank_) + " of " +
                             std::to_string(world_size_) + ": " + what + " #" +
                             std::to_string(calls_) + " of " + std::to_string(bytes) +
                             " bytes failed (timeout " + FormatSeconds(timeout_s_) + " s): " +
                             SilentRanks() + " (" + cause + ")");
    }
    bytes_ += bytes;
  }

  // After a failed collective: every surviving rank checks in at the store (served by rank 0);
  // return which ranks did not within a grace period, for the error message. Rank 0 waits
  // longer, since it hosts the store and the others may fail only at their own timeout.
  std::string SilentRanks() {
    const std::string generic = "a peer rank died, hung or is unreachable";
    try {
      store_->set("snpflow/failed/" + std::to_string(rank_), std::vector<uint8_t>{1});
      const double grace = rank_ == 0 ? timeout_s_ + 2 : std::min(timeout_s_, 2.0);
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(static_cast<int64_t>(grace * 1000));
      std::vector<int> silent;
      for (;;) {
        silent.clear();
        for (int r = 0; r < world_size_; ++r)
          if (r != rank_ && !store_->check({"snpflow/failed/" + std::to_string(r)}))
            silent.push_back(r);
        if (silent.empty() || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (silent.empty()) return generic;
      std::string names;
      for (int r : silent) names += (names.empty() ? "" : ", ") + std::to_string(r);
      return std::string(silent.size() == 1 ? "rank " : "ranks ") + names +
             " did not report in: dead, hung or unreachable";
    } catch (const std::exception&) {
      return rank_ == 0 ? generic
                        : "rank 0 (the rendezvous host at MASTER_ADDR) died or is unreachable";
    }
  }

  int rank_;
  int world_size_;
  double timeout_s_;
  int64_t die_at_, hang_at_;
  int64_t calls_ = 0;
  uint64_t bytes_ = 0;
  c10::intrusive_ptr<c10d::TCPStore> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

std::unique_ptr<Communicator> ConnectGloo(const LaunchEnv& env, const DistOptions& options) {
  return std::make_unique<GlooCommunicator>(env, options);
}

}  // namespace snpflow
