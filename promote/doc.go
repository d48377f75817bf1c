// Package promote moves an image that passed the parity gate into a target
// environment without rebuilding it: the exact manifest digest that was
// tested is copied to the target registry and tag, the digest is pinned in
// the GitOps file that deploys it, and a record of the promotion is kept so
// a later promotion can ask where a digest has been before.
//
// The package is a library for `prodlike promote IMAGE --to ENV`; the
// command in cmd/prodlike decides the order (parity first, then copy, then
// the GitOps file, then the record) and how to report each step.
//
// Three parts, each usable alone:
//   - Resolve, Copy and CopyImage talk to registries through
//     go-containerregistry. Their errors match ErrBadReference,
//     ErrUnreachable, ErrUnauthorized, ErrNotFound or ErrDigestMismatch
//     with errors.Is, so the command can say what went wrong and that
//     nothing was changed.
//   - PlanKustomization and PlanHelmValue edit a YAML file the user
//     commits, splicing only the bytes that change; Change.Write writes
//     the result atomically and Commit commits it with git.
//   - Record, SaveRecord and ReadRecords keep the promotion history.
package promote
