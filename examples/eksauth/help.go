package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the CLI's version line, in the shape of the AWS CLI's
// "aws-cli/2.x Python/3.x Linux/5.x exe/x86_64".
func version() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = strings.TrimPrefix(bi.Main.Version, "v")
	}
	return fmt.Sprintf("eksauth-cli/%s Go/%s %s/%s", v, strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH)
}

const topHelp = `eksauth

  eksauth is a single static binary that behaves like the AWS CLI v2 for
  one command: aws eks-auth assume-role-for-pod-identity. Scripts written
  for the AWS CLI keep working: same options, same output formats, same
  error messages and exit statuses.

SYNOPSIS
  eksauth [eks-auth] assume-role-for-pod-identity [options]
  eksauth [eks-auth] assume-role-for-pod-identity help
  eksauth help
  eksauth --version

COMMANDS
  assume-role-for-pod-identity
      Exchange a Kubernetes service-account token for temporary AWS
      credentials of the IAM role associated with its service account
      (EKS Pod Identity).

Run "eksauth assume-role-for-pod-identity help" for the options.
`

const operationHelp = `ASSUME-ROLE-FOR-POD-IDENTITY

DESCRIPTION
  Exchanges the projected service-account token of a pod for temporary
  credentials of the IAM role its EKS Pod Identity association names. On a
  node the EKS Pod Identity Agent makes this call; applications use an SDK.

SYNOPSIS
  assume-role-for-pod-identity
    --cluster-name <value>
    --token <value>
    [--eks-node-name <value>]
    [--instance-id <value>]
    [--zone <value>]
    [--cli-input-json | --cli-input-yaml]
    [--generate-cli-skeleton <value>]
    [--debug]
    [--endpoint-url <value>]
    [--no-verify-ssl]
    [--no-paginate]
    [--output <value>]
    [--query <value>]
    [--profile <value>]
    [--region <value>]
    [--version <value>]
    [--color <value>]
    [--no-sign-request]
    [--ca-bundle <value>]
    [--cli-read-timeout <value>]
    [--cli-connect-timeout <value>]
    [--cli-binary-format <value>]
    [--no-cli-pager]
    [--cli-auto-prompt]
    [--no-cli-auto-prompt]

OPTIONS
  --cluster-name (string)  Name of the EKS cluster.
  --token (string)         The pod's service-account token. Any value may be
                           given as file://PATH (the file's text) or
                           fileb://PATH (its bytes), for example
                           file:///var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token
  --eks-node-name, --instance-id, --zone (string)
                           Optional: the node the pod runs on.
  --cli-input-json | --cli-input-yaml (string)
                           Read the parameters from JSON or YAML (inline or
                           file://) in the shape --generate-cli-skeleton
                           prints; options on the command line win.
  --generate-cli-skeleton (string)
                           input (default): print a JSON input skeleton;
                           yaml-input: a YAML one; output: check the
                           parameters and print a sample response. Nothing
                           is sent.

GLOBAL OPTIONS
  --debug                  Trace on stderr (secrets redacted).
  --endpoint-url (string)  Send to this URL instead of the region's endpoint.
  --no-verify-ssl          Do not verify TLS certificates (warns on stderr).
  --no-paginate            Accepted; the operation has a single page.
  --output (string)        json | text | table | yaml | yaml-stream
                           (default: AWS_DEFAULT_OUTPUT, the profile's
                           output, else json).
  --query (string)         JMESPath expression applied to the response.
  --profile (string)       Profile of the shared config and credentials files.
  --region (string)        Region (else AWS_REGION, AWS_DEFAULT_REGION, the
                           profile's region).
  --version                Print the version.
  --color (string)         on | off | auto: colour of the table output.
  --no-sign-request        Send the request unsigned; no credentials loaded.
  --ca-bundle (string)     PEM bundle of CAs to trust (else AWS_CA_BUNDLE,
                           the profile's ca_bundle).
  --cli-read-timeout (int) Seconds a socket read may wait; 0 = no limit;
                           default 60.
  --cli-connect-timeout (int)
                           Seconds a connection may take; 0 = no limit;
                           default 60.
  --cli-binary-format (string)
                           base64 | raw-in-base64-out (accepted; no member
                           of this operation is binary).
  --no-cli-pager           Do not page the output (else AWS_PAGER, the
                           profile's cli_pager, PAGER, less -R when stdout
                           is a terminal).
  --cli-auto-prompt        Ask for the parameters on the terminal
                           (AWS_CLI_AUTO_PROMPT=on|on-partial).
  --no-cli-auto-prompt     Never ask.

OUTPUT
  subject.namespace, subject.serviceAccount, audience,
  podIdentityAssociation.associationArn, podIdentityAssociation.associationId,
  assumedRoleUser.arn, assumedRoleUser.assumeRoleId,
  credentials.sessionToken, credentials.secretAccessKey,
  credentials.accessKeyId, credentials.expiration (ISO 8601).

EXIT STATUS
  0 success, 252 bad usage or parameters, 253 missing region or
  credentials, 254 error answered by the service, 255 other errors,
  130 interrupted.
`
