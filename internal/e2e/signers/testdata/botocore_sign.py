"""Calls the emulator as botocore does, from a JSON spec on stdin.

mode "client": botocore's own eks-auth client (its model, serializer,
SigV4 signer and error parser) calls AssumeRoleForPodIdentity. mode "raw":
botocore's SigV4Auth signs a hand-built request, which the spec may then
spoil ("tamper": "body" changes a byte of the body after signing). Prints one JSON
line: the HTTP status, the error code botocore reads, and on success the
access key ID and expiration botocore parsed.
"""
import json
import sys
from urllib.parse import quote

import botocore
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session

if sys.argv[1:] == ["version"]:
    print("botocore %s (Python %s)" % (botocore.__version__, sys.version.split()[0]))
    sys.exit(0)

spec = json.load(sys.stdin)
creds = Credentials(spec["accessKeyId"], spec["secretAccessKey"], spec.get("sessionToken") or None)

if spec["mode"] == "client":
    session = botocore.session.get_session()
    client = session.create_client(
        "eks-auth",
        region_name=spec["region"],
        endpoint_url=spec["endpoint"],
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        aws_session_token=creds.token,
        config=Config(retries={"max_attempts": 1}),
    )
    try:
        out = client.assume_role_for_pod_identity(clusterName=spec["cluster"], token=spec["token"])
        c = out["credentials"]
        print(json.dumps({"status": out["ResponseMetadata"]["HTTPStatusCode"], "accessKeyId": c["accessKeyId"],
                          "expiration": c["expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}))
    except ClientError as e:
        print(json.dumps({"status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                          "code": e.response["Error"]["Code"], "message": e.response["Error"].get("Message", "")}))
    sys.exit(0)

body = json.dumps({"token": spec["token"]})
url = spec["endpoint"] + "/clusters/" + quote(spec["cluster"], safe="") + "/assume-role-for-pod-identity"
req = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
SigV4Auth(creds, spec["service"], spec["region"]).add_auth(req)
if spec.get("tamper") == "body":
    # The same length, one byte of the token changed: a body the
    # signature does not cover.
    t = spec["token"]
    req.data = json.dumps({"token": t[:-1] + ("A" if t[-1] != "A" else "B")})
resp = URLLib3Session().send(req.prepare())
out = {"status": resp.status_code, "code": resp.headers.get("X-Amzn-ErrorType", "").split(":")[0]}
if resp.status_code == 200:
    out["accessKeyId"] = json.loads(resp.content)["credentials"]["accessKeyId"]
print(json.dumps(out))
