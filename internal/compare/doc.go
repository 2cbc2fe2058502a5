// Package compare is where podidentity meets the official
// github.com/aws/aws-sdk-go-v2/service/eksauth client, side by side. It is
// its own module so that the library never depends on the official client.
//
// # Benchmarks
//
// The _test.go files hold benchmarks that run both clients, and a
// hand-written "floor" request (net/http, aws/signer/v4, encoding/json and
// nothing else), on identical work: one call against an in-memory HTTP
// client, one call over loopback, cached credential retrieval, and a
// thundering herd on a cold provider. Run them all, with program sizes and
// cold start, as one table:
//
//	go run ./internal/compare/cmd/report
//
// # Compatibility
//
// The tests check that the official client, our client and a hand-signed
// raw request get the same answers from the eksauthtest emulator, resolve
// the same endpoints and report the same error chains; that middleware
// written for the official client (APIOptions set three ways, otelaws)
// sees the same steps, context values, input, output and spans with ours;
// and, by fuzzing, that both decode every 200 answer alike.
//
// # Adapter
//
// [OfficialClient] lets the official client plug into credentials.New,
// whose client interface speaks podidentity's types.
package compare
