//go:build !windows

package main

import "golang.org/x/sys/unix"

// freeBytes is the space available to unprivileged users at path.
func freeBytes(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
