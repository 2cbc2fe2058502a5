module github.com/podidentity/podidentity/internal/e2e

go 1.24.0

replace github.com/podidentity/podidentity => ../../

replace github.com/podidentity/podidentity/examples => ../../examples

require github.com/podidentity/podidentity v0.0.0-00010101000000-000000000000

require (
	github.com/aws/aws-sdk-go-v2 v1.48.0 // indirect
	github.com/aws/smithy-go v1.28.9 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
)
