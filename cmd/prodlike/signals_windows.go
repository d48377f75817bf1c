//go:build windows

package main

import "os"

// Windows delivers Ctrl-C and Ctrl-Break as os.Interrupt.
var interruptSignals = []os.Signal{os.Interrupt}
