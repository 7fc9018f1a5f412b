/* pipeline/plugin_abi.h: the C entry point of a snpflow plugin. Valid C and C++; installed.
 *
 * A plugin is a shared library that exports exactly one symbol, snpflow_plugin_v1, returning a
 * pointer to a static snpflow_plugin_info. The loader (pipeline/plugin_loader.h) dlopens the
 * library, checks abi_version, and calls register_stages once.
 *
 * What is stable: the symbol name and this struct are C. What register_stages adds to the
 * registry is C++ (vtables, std::string, std::function), so plugin and host must be built with a
 * compatible C++ ABI (on Debian: g++ and libstdc++) against identical snpflow headers. The ABI
 * version therefore has to match exactly; a mismatch is an error, never a warning.
 *
 * C++ plugin authors don't use this header directly: they write
 *   SNPFLOW_PLUGIN("name", "1.0", "one line") { RegisterMyStages(registry); }
 * from pipeline/plugin.h, which defines the symbol and keeps exceptions from crossing it.
 */
#ifndef SNPFLOW_PIPELINE_PLUGIN_ABI_H_
#define SNPFLOW_PIPELINE_PLUGIN_ABI_H_

#include <stdint.h>

/* Bump on ANY layout or vtable change in the installed headers. */
/* 2: OptionDecl::range; 3: VariantBlock::packed; 4: Batch::codes and
   Trainer::wants_genotype_codes; 5: FoldInputs::snp_begin/snp_total and
   Trainer::snp_parallel_refusal; 6: VariantBlock::codes, packed and counts grow unzeroed. */
#define SNPFLOW_PLUGIN_ABI_VERSION 6

/* The name of the one exported symbol, for dlsym. */
#define SNPFLOW_PLUGIN_SYMBOL "snpflow_plugin_v1"

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handle to a snpflow::StageRegistry; valid only during register_stages. */
typedef struct snpflow_registry snpflow_registry;

/* What a plugin tells the loader about itself. Must have static storage duration. */
typedef struct snpflow_plugin_info {
  uint32_t abi_version; /* SNPFLOW_PLUGIN_ABI_VERSION the plugin was built with */
  const char* name;     /* short plugin name, e.g. "hwe" */
  const char* version;  /* the plugin's own version, e.g. "1.0" */
  const char* about;    /* one line for `snpflow stages` */
  /* Add the plugin's stages to `registry`. Return NULL on success, or an error message
   * allocated with malloc() that the loader free()s. Never throws. Called once for each
   * registry the plugin is loaded into, always from one thread. */
  char* (*register_stages)(snpflow_registry* registry);
} snpflow_plugin_info;

/* The only exported symbol. Returns a pointer to static storage; never NULL. */
typedef const snpflow_plugin_info* (*snpflow_plugin_entry_fn)(void);
const snpflow_plugin_info* snpflow_plugin_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* SNPFLOW_PIPELINE_PLUGIN_ABI_H_ */
