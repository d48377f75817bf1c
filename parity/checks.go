package parity

import "slices"

// Checks are every check, in the order they run and are reported. IDs are
// stable: waivers and CI configurations name them.
var Checks = slices.Concat(postgresChecks, redisChecks, storageChecks, appChecks)
