package stack

// ImageConfig is an image's configuration as the engine reports it, and what
// its layers hold, for the parity checks of the app image.
type ImageConfig struct {
	Ref string
	ID  string
	// Platform is os/arch[/variant].
	Platform    string
	User        string
	Healthcheck []string // nil: none declared
	Entrypoint  []string
	Cmd         []string
	Env         map[string]string
	// History are the created_by lines of the image's layers, oldest first.
	History []string
}
