package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: a first
// fetch or a refresh outliving its bound, for one.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
