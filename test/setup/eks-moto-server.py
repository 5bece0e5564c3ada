"""moto's server (PyPI moto[server]) playing EKS and STS for elife-k8s's tests, with two additions.

Run: python3 eks-moto-server.py  -> prints "PORT <n>" once it listens on 127.0.0.1 (port chosen by
the kernel, so parallel test files never collide). It exits when its stdin closes, so a test run
that dies without stopping it does not leave it behind.

1. POST /_elife-test/eks/cluster {"name", "region", "account"?, "status"?, "endpoint"?,
   "certificateAuthorityData"?} edits moto's own EKS cluster model. moto creates every cluster
   ACTIVE with a made-up endpoint and CA, and its API cannot change either, so this is the way
   to get a CREATING/DELETING/FAILED cluster, or one whose endpoint and CA are a real local API
   server's; DescribeCluster then answers through moto's normal code with these values.
2. moto's STS finds the caller's access key only in an Authorization header; a presigned URL
   (which is what an EKS token is) carries it in X-Amz-Credential, so moto would answer every
   token with its default user. When a request has X-Amz-Credential and no Authorization, the
   credential is copied into an Authorization header so GetCallerIdentity names the real caller
   (e.g. the assumed role and its session), as AWS STS does.
3. moto (5.2) does not serve DescribeAddon, DescribeAddonVersions or DescribeClusterVersions.
   POST /_elife-test/eks/catalog {"addonVersions": [AddonInfo...], "clusterVersions":
   [ClusterVersionInformation...], "addons": {"<cluster>": {"<addon>": Addon}}} seeds what EKS
   would answer (EKS's own JSON shapes; dates as epoch seconds), replacing the previous catalogue;
   the three calls are then answered from it, filtered by their query parameters as EKS filters
   them (DescribeAddonVersions' kubernetesVersion=V: the add-on versions with a compatibility
   whose clusterVersion is V, each with that compatibility only, as `aws eks describe-addon-versions
   --kubernetes-version` shows them in EKS's user guide) (an add-on not in "addons" is ResourceNotFoundException, as for a self-managed one; a
   cluster moto does not know is ResourceNotFoundException "No cluster found for name").
"""
import json
import sys
import threading
import re
from urllib.parse import parse_qs, unquote

from moto.eks.models import eks_backends
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

CONTROL_PATH = "/_elife-test/eks/cluster"
CATALOG_PATH = "/_elife-test/eks/catalog"
ADDON_PATH = re.compile(r"^/clusters/([^/]+)/addons/([^/]+)$")
catalog = {"addonVersions": [], "clusterVersions": [], "addons": {}}
DEFAULT_ACCOUNT = "123456789012"

moto_app = DomainDispatcherApplication(create_backend_app)


def respond(start_response, status, body):
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def edit_cluster(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
    backend = eks_backends[spec.get("account", DEFAULT_ACCOUNT)][spec["region"]]
    cluster = backend.clusters.get(spec["name"])
    if cluster is None:
        return respond(start_response, "404 Not Found", {"error": f"no cluster {spec['name']}"})
    if "status" in spec:
        cluster.status = spec["status"]
    if "endpoint" in spec:
        cluster.endpoint = spec["endpoint"]
    if "certificateAuthorityData" in spec:
        cluster.certificate_authority = {"data": spec["certificateAuthorityData"]}
    return respond(start_response, "200 OK", {"name": cluster.name, "status": cluster.status, "endpoint": cluster.endpoint})


def set_catalog(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
    catalog.clear()
    catalog.update({"addonVersions": spec.get("addonVersions", []), "clusterVersions": spec.get("clusterVersions", []), "addons": spec.get("addons", {})})
    return respond(start_response, "200 OK", {"ok": True})


def request_region(environ):
    match = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "us-east-1"


def not_found(start_response, message):
    payload = json.dumps({"message": message}).encode()
    start_response("404 Not Found", [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ResourceNotFoundException"), ("Content-Length", str(len(payload)))])
    return [payload]


def catalog_answer(environ, start_response):
    """DescribeAddonVersions, DescribeClusterVersions, DescribeAddon from the seeded catalogue; None: not one of them."""
    if environ.get("REQUEST_METHOD") != "GET":
        return None
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/addons/supported-versions":
        name = query.get("addonName", [None])[0]
        version = query.get("kubernetesVersion", [None])[0]
        addons = []
        for addon in catalog["addonVersions"]:
            if name and addon.get("addonName") != name:
                continue
            versions = addon.get("addonVersions", [])
            if version:
                # EKS answers kubernetesVersion=V with the versions one of whose compatibilities is
                # for V, each carrying only that compatibility (the clusterVersion asked about).
                versions = [
                    {**v, "compatibilities": [c for c in v.get("compatibilities", []) if c.get("clusterVersion") == version]}
                    for v in versions
                    if any(c.get("clusterVersion") == version for c in v.get("compatibilities", []))
                ]
            if versions:
                addons.append({**addon, "addonVersions": versions})
        return respond(start_response, "200 OK", {"addons": addons})
    if path == "/cluster-versions":
        wanted = query.get("clusterVersions", [])
        versions = [v for v in catalog["clusterVersions"] if not wanted or v.get("clusterVersion") in wanted]
        return respond(start_response, "200 OK", {"clusterVersions": versions})
    match = ADDON_PATH.match(path)
    if match:
        cluster, addon = unquote(match.group(1)), unquote(match.group(2))
        if eks_backends[DEFAULT_ACCOUNT][request_region(environ)].clusters.get(cluster) is None:
            return not_found(start_response, f"No cluster found for name: {cluster}.")
        found = catalog["addons"].get(cluster, {}).get(addon)
        if found is None:
            return not_found(start_response, f"No addon: {addon} found in cluster: {cluster}")
        return respond(start_response, "200 OK", {"addon": {"addonName": addon, "clusterName": cluster, **found}})
    return None


def app(environ, start_response):
    if environ.get("PATH_INFO") == CONTROL_PATH and environ.get("REQUEST_METHOD") == "POST":
        return edit_cluster(environ, start_response)
    if environ.get("PATH_INFO") == CATALOG_PATH and environ.get("REQUEST_METHOD") == "POST":
        return set_catalog(environ, start_response)
    answered = catalog_answer(environ, start_response)
    if answered is not None:
        return answered
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "X-Amz-Credential" in query and "HTTP_AUTHORIZATION" not in environ:
        credential = query["X-Amz-Credential"][0]
        signed = query.get("X-Amz-SignedHeaders", ["host"])[0]
        signature = query.get("X-Amz-Signature", [""])[0]
        environ["HTTP_AUTHORIZATION"] = f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={signature}"
    return moto_app(environ, start_response)


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, app, threaded=True)

    def stop_when_parent_goes():
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=stop_when_parent_goes, daemon=True).start()
    print(f"PORT {server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
