//go:build tools

// Package tools pins the ORAS CLI: the setup binary pushes with it and the stack's login uses it
// by default, so preflight requires it on PATH.
package tools

import _ "oras.land/oras/cmd/oras"
