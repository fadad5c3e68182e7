package config

import "github.com/spa-project/spa/server/config/tomlfile"

// Problem is one thing wrong with a configuration file: its File, Line (0 if
// unknown), dotted Key and message. See [tomlfile.Problem].
type Problem = tomlfile.Problem

// Problems is the error type of [Load], [ParseServer], [ParseClient] and
// [ListClients]: every problem found, in file order, one per line in Error.
type Problems = tomlfile.Problems
