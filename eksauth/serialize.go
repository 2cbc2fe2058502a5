package eksauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithyjson "github.com/aws/smithy-go/encoding/json"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/internal/protocol"
)

// validate is the Initialize middleware that refuses bad input before
// anything is sent (the official client only checks that ClusterName and
// Token are set).
type validate struct{}

func (validate) ID() string { return "OperationInputValidation" }

func (validate) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	params, ok := in.Parameters.(*AssumeRoleForPodIdentityInput)
	if !ok {
		return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("unknown input parameters type %T", in.Parameters)
	}
	if err := protocol.ValidateInput(params.ClusterName, params.Token, params.EksNodeName, params.InstanceId, params.Zone); err != nil {
		return middleware.InitializeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleInitialize(ctx, in)
}

// serialize is the Serialize middleware that writes the input as the
// operation's HTTP request, below the endpoint that resolveEndpointV2 sets.
type serialize struct{}

func (serialize) ID() string { return "OperationSerializer" }

func (serialize) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: fmt.Errorf("unknown transport type %T", in.Request)}
	}
	params, ok := in.Parameters.(*AssumeRoleForPodIdentityInput)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: fmt.Errorf("unknown input parameters type %T", in.Parameters)}
	}
	// APIOptions may remove validation: as the official serializer does,
	// refuse an empty label and escape the name, so it stays in its segment.
	if params.ClusterName == nil || *params.ClusterName == "" {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: fmt.Errorf("input member clusterName must not be empty")}
	}
	enc := smithyjson.NewEncoder()
	obj := enc.Value.Object()
	wire := protocol.Request{Token: params.Token, EksNodeName: params.EksNodeName, InstanceId: params.InstanceId, Zone: params.Zone}
	for _, m := range wire.Members() {
		if *m.Value != nil {
			obj.Key(m.Name).String(**m.Value)
		}
	}
	obj.Close()
	body := enc.Bytes()
	req.Method = "POST"
	req.URL.Path = protocol.Path(*params.ClusterName)
	req.URL.RawPath = protocol.Path(httpbinding.EscapePath(*params.ClusterName, true))
	req.Header.Set("Content-Type", protocol.ContentType)
	// No WriteTo: smithy-go's wrapper of such a body fails once closed, which
	// Do's return may do before net/http's last read of it. The hash is set
	// here, as v4.ComputePayloadSHA256 would copy the body through 32 KiB.
	req, err := req.SetStream(struct{ io.ReadSeeker }{bytes.NewReader(body)})
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	in.Request = req
	sum := sha256.Sum256(body)
	ctx = v4.SetPayloadHash(ctx, hex.EncodeToString(sum[:]))
	ctx = middleware.WithStackValue(ctx, requestBodyKey{}, body) // for the logger
	return next.HandleSerialize(withSecrets(ctx, aws.ToString(params.Token)), in)
}

type requestBodyKey struct{}

// secretsKey holds, as a stack value, the secrets of the call that an
// answer or a log line could show: the token, then the credentials.
type secretsKey struct{}

func withSecrets(ctx context.Context, secrets ...string) context.Context {
	old := secretsOf(ctx)
	return middleware.WithStackValue(ctx, secretsKey{}, append(old[:len(old):len(old)], secrets...))
}

func secretsOf(ctx context.Context) []string {
	s, _ := middleware.GetStackValue(ctx, secretsKey{}).([]string)
	return s
}
