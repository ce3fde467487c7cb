// A shared library that is not a plugin: it has no entry point.
int visioncraft_not_a_plugin(void) { return 42; }
