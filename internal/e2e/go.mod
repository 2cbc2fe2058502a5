module github.com/podidentity/podidentity/internal/e2e

go 1.24.0

replace github.com/podidentity/podidentity => ../../

replace github.com/podidentity/podidentity/examples => ../../examples
