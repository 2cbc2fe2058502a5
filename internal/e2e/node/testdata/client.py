"""A pod that uses botocore's default credential chain.

For each line "get" on stdin it asks the session's credentials for their
current value (botocore refreshes them ahead of expiry, re-reading the
token file) and prints one JSON line: the credentials and their expiry,
or what botocore reports on failure. botocore puts the agent's answer in
the error text ("Received non 200 response 404 from container metadata:
<body>"); the status and, when the body is JSON, its code are taken from
there, as a program would.
"""
import json
import re
import sys

import botocore
import botocore.session

if sys.argv[1:] == ["version"]:
    print("botocore %s (Python %s)" % (botocore.__version__, sys.version.split()[0]))
    sys.exit(0)

NON_200 = re.compile(r"Received non 200 response (\d+) from container metadata: (.*)\Z", re.S)


def failure(err):
    out = {"ok": False, "message": str(err), "type": type(err).__name__}
    m = NON_200.search(str(err))
    if m:
        out["status"] = int(m.group(1))
        try:
            body = json.loads(m.group(2))
        except ValueError:
            body = None
        if isinstance(body, dict):
            out["code"] = body.get("Code") or body.get("code") or ""
    return out


session = botocore.session.get_session()
creds = None
for line in sys.stdin:
    try:
        if creds is None:
            creds = session.get_credentials()
            if creds is None:
                raise RuntimeError("botocore found no credentials")
        frozen = creds.get_frozen_credentials()
        expiry = getattr(creds, "_expiry_time", None)  # RefreshableCredentials keeps it private
        out = {
            "ok": True,
            "accessKeyId": frozen.access_key,
            "secretAccessKey": frozen.secret_key,
            "sessionToken": frozen.token,
            "accountId": getattr(frozen, "account_id", None) or "",
            "expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ") if expiry else "",
        }
    except Exception as e:  # what botocore raised is the result
        out = failure(e)
    print(json.dumps(out), flush=True)
