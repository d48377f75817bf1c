// Command prodlike gives a developer a production-shaped cloud on their own
// machine: stand-ins for the managed services a project uses, configured like
// production, with the project's own app image running against them.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], defaultEnv()))
}
