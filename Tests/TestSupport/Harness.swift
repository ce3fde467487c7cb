// The harness (daemons in a sandbox, the built binaries, the line client,
// run-time scaling) is what the tests use most: every test that imports
// TestSupport gets it too.
@_exported import Harness
