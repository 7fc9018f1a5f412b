/* A shared library that is not a snpflow plugin: it exports a function, but not
 * snpflow_plugin_v1. Used by tests/plugins/plugin_loader_test.cc. */
int snpflow_test_not_a_plugin(void) { return 42; }
