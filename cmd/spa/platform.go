package main

import "runtime"

// isWindows reports whether file modes are meaningless here (Windows uses
// ACLs; see keys.ReadSecretFile).
func isWindows() bool { return runtime.GOOS == "windows" }
