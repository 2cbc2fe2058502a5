package eksauth

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/endpoints"
	"github.com/podidentity/podidentity/internal/protocol"
)

// AssumeRoleForPodIdentityInput is the operation's input.
type AssumeRoleForPodIdentityInput struct {
	// ClusterName is the name of the cluster: 1 to 100 characters of
	// ^[0-9A-Za-z][A-Za-z0-9\-_]*$. Required.
	ClusterName *string

	// Token is the pod's service-account token, a JWT. Required.
	Token *string

	// EksNodeName is the name of the node the pod runs on. Optional.
	EksNodeName *string

	// InstanceId is the EC2 instance ID of the node. Optional.
	InstanceId *string

	// Zone is the availability zone of the node. Optional.
	Zone *string
}

// AssumeRoleForPodIdentityOutput is the operation's output. Every call that
// succeeds returns complete Credentials (access key, secret key, session
// token and expiration).
type AssumeRoleForPodIdentityOutput struct {
	// AssumedRoleUser is the role and the STS session of the credentials.
	AssumedRoleUser *types.AssumedRoleUser

	// Audience is always pods.eks.amazonaws.com.
	Audience *string

	// Credentials are the temporary credentials.
	Credentials *types.Credentials

	// PodIdentityAssociation is the association that matched.
	PodIdentityAssociation *types.PodIdentityAssociation

	// Subject is the token's service account.
	Subject *types.Subject

	// ResultMetadata is what the SDK's middleware records: the request ID
	// (awsmiddleware.GetRequestIDMetadata), GetResponseAt, GetServerTime,
	// GetRawResponse, retry.GetAttemptResults.
	ResultMetadata middleware.Metadata
}

// AssumeRoleForPodIdentity exchanges a pod's service-account token for
// temporary credentials of the IAM role associated with the token's service
// account. optFns change a copy of the client's options for this call only.
//
// Every error is a *smithy.OperationError. Bad input fails before anything
// is sent, as *smithy.InvalidParamsError; an answer of the service wraps an
// *awshttp.ResponseError (status code, request ID) around one of the nine
// errors of package types, a *smithy.GenericAPIError for other codes, or a
// *smithy.DeserializationError for an answer that cannot be read.
//
// API reference: https://docs.aws.amazon.com/eks/latest/APIReference/API_auth_AssumeRoleForPodIdentity.html
func (c *Client) AssumeRoleForPodIdentity(ctx context.Context, params *AssumeRoleForPodIdentityInput, optFns ...func(*Options)) (*AssumeRoleForPodIdentityOutput, error) {
	if params == nil {
		params = &AssumeRoleForPodIdentityInput{}
	}
	result, metadata, err := c.invokeOperation(ctx, params, optFns)
	if err != nil {
		return nil, err
	}
	out := result.(*AssumeRoleForPodIdentityOutput)
	out.ResultMetadata = metadata
	return out, nil
}

// addOperationMiddlewares assembles the request path with the official
// client's steps, middleware IDs and order, so that APIOptions written for
// it find their anchors: the SDK's own middleware, and ours for what is EKS
// Auth's own or must not show a secret.
func (c *Client) addOperationMiddlewares(stack *middleware.Stack, o Options) error {
	ep, epErr := resolveEndpoint(o)
	region, _ := endpoints.MapFIPSRegion(o.Region)
	var skew int64 // the clock offset the first attempt signs at
	if !o.DisableClockSkewCorrection {
		skew = c.timeOffset.Load()
	}
	ua := awsmiddleware.NewRequestUserAgent()
	ua.AddUserAgentKeyValue("podidentity", Version)
	ua.AddSDKAgentKeyValue(awsmiddleware.APIMetadata, "eksauth", Version)
	if o.AppID != "" {
		ua.AddSDKAgentKey(awsmiddleware.ApplicationIdentifier, o.AppID)
	}
	switch o.Retryer.(type) {
	case *retry.Standard:
		ua.AddUserAgentFeature(awsmiddleware.UserAgentFeatureRetryModeStandard)
	case *retry.AdaptiveMode:
		ua.AddUserAgentFeature(awsmiddleware.UserAgentFeatureRetryModeAdaptive)
	}
	attempt := retry.NewAttemptMiddleware(o.Retryer, smithyhttp.RequestCloner, func(m *retry.Attempt) {
		m.LogAttempts = o.ClientLogMode.IsRetries()
		m.OperationMeter = o.MeterProvider.Meter(scope)
		m.DisableClockSkewCorrection = o.DisableClockSkewCorrection
		m.ClientSkew = c.timeOffset
	})

	return errors.Join(
		// Initialize: once per call, with the caller's input.
		stack.Initialize.Add(&awsmiddleware.RegisterServiceMetadata{ServiceID: ServiceID, OperationName: protocol.OperationName, Region: region}, middleware.Before),
		middleware.AddSetLoggerMiddleware(stack, o.Logger),
		stack.Initialize.Add(validate{}, middleware.After),

		// Serialize: the HTTP request of the input.
		stack.Serialize.Add(serialize{}, middleware.After),

		// Build: the headers that every attempt shares.
		stack.Build.Add(&awsmiddleware.ClientRequestID{}, middleware.After),
		stack.Build.Add(&smithyhttp.ComputeContentLength{}, middleware.After),
		stack.Build.Add(ua, middleware.After),
		stack.Build.Add(&awsmiddleware.RecursionDetection{}, middleware.After),

		// Finalize: the attempts, each from identity to signature.
		stack.Finalize.Add(attempt, middleware.After),
		stack.Finalize.Add(getIdentity{o.Credentials}, middleware.After),
		stack.Finalize.Add(&resolveEndpointV2{endpoint: ep, err: epErr}, middleware.After),
		stack.Finalize.Add(&v4.ComputePayloadSHA256{}, middleware.After),
		stack.Finalize.Add(&sign{signer: c.signer, skew: skew, disableSkew: o.DisableClockSkewCorrection, logSigning: o.ClientLogMode.IsSigning()}, middleware.After),

		// Deserialize, listed here from the outside in once all are added:
		// AddRawResponseToMetadata, ErrorCloseResponseBody, CloseResponseBody,
		// ResponseErrorWrapper, RequestIDRetriever, OperationDeserializer,
		// RecordResponseTiming, RequestResponseLogger; then the HTTP client.
		stack.Deserialize.Add(deserialize{}, middleware.After),
		stack.Deserialize.Add(&awsmiddleware.AddRawResponse{}, middleware.Before),
		stack.Deserialize.Add(&awsmiddleware.RecordResponseTiming{DisableClockSkewCorrection: o.DisableClockSkewCorrection}, middleware.After),
		smithyhttp.AddErrorCloseResponseBodyMiddleware(stack),
		smithyhttp.AddCloseResponseBodyMiddleware(stack),
		awsmiddleware.AddRequestIDRetrieverMiddleware(stack),
		awshttp.AddResponseErrorMiddleware(stack),
		stack.Deserialize.Add(&logRequestResponse{mode: o.ClientLogMode}, middleware.After),

		addInterceptors(stack, o.Interceptors),
	)
}

// addInterceptors adds smithy-go's interceptor middleware where the official
// client does, only when there is an interceptor to call.
func addInterceptors(stack *middleware.Stack, i smithyhttp.InterceptorRegistry) error {
	if len(i.BeforeExecution)+len(i.BeforeSerialization)+len(i.AfterSerialization)+len(i.BeforeRetryLoop)+
		len(i.BeforeAttempt)+len(i.BeforeSigning)+len(i.AfterSigning)+len(i.BeforeTransmit)+len(i.AfterTransmit)+
		len(i.BeforeDeserialization)+len(i.AfterDeserialization)+len(i.AfterAttempt)+len(i.AfterExecution) == 0 {
		return nil
	}
	return errors.Join(
		stack.Initialize.Add(&smithyhttp.InterceptExecution{BeforeExecution: i.BeforeExecution, AfterExecution: i.AfterExecution}, middleware.Before),
		stack.Serialize.Insert(&smithyhttp.InterceptBeforeSerialization{Interceptors: i.BeforeSerialization}, "OperationSerializer", middleware.Before),
		stack.Serialize.Insert(&smithyhttp.InterceptAfterSerialization{Interceptors: i.AfterSerialization}, "OperationSerializer", middleware.After),
		stack.Finalize.Insert(&smithyhttp.InterceptBeforeRetryLoop{Interceptors: i.BeforeRetryLoop}, "Retry", middleware.Before),
		stack.Finalize.Insert(&smithyhttp.InterceptAttempt{BeforeAttempt: i.BeforeAttempt, AfterAttempt: i.AfterAttempt}, "Retry", middleware.After),
		stack.Finalize.Insert(&smithyhttp.InterceptBeforeSigning{Interceptors: i.BeforeSigning}, "Signing", middleware.Before),
		stack.Finalize.Insert(&smithyhttp.InterceptAfterSigning{Interceptors: i.AfterSigning}, "Signing", middleware.After),
		stack.Deserialize.Add(&smithyhttp.InterceptTransmit{BeforeTransmit: i.BeforeTransmit, AfterTransmit: i.AfterTransmit}, middleware.After),
		stack.Deserialize.Insert(&smithyhttp.InterceptBeforeDeserialization{Interceptors: i.BeforeDeserialization}, "OperationDeserializer", middleware.After),
		stack.Deserialize.Insert(&smithyhttp.InterceptAfterDeserialization{Interceptors: i.AfterDeserialization}, "OperationDeserializer", middleware.Before),
	)
}
