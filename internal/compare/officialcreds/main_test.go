package officialcreds_test

import (
	"testing"

	"github.com/podidentity/podidentity/internal/leakcheck"
)

// TestMain fails the package if a test leaves a goroutine behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }
