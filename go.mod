module github.com/podidentity/podidentity

go 1.24

require (
	github.com/aws/aws-sdk-go-v2 v1.48.0
	github.com/aws/smithy-go v1.28.9
)

require github.com/golang-jwt/jwt/v5 v5.3.1
