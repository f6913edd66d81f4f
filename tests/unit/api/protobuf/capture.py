#!/usr/bin/env python3
"""Capture the request bodies real kubectl sends, for the vectors beside this file.

A throwaway API server on 127.0.0.1 that answers /version (minor 32, so the kubectl dispatcher
picks kubectl 1.32), legacy discovery, and logs every POST/PUT/DELETE body. Not run by the tests.

    python3 capture.py 18765 log.jsonl &
    HOME=$(mktemp -d) kubectl -s http://127.0.0.1:18765 create namespace foo
    # log.jsonl: one {"method", "path", "ct", "body" (hex)} per request

The JSON twin of a vector is what the same command prints with --dry-run=client -o json.
kubectl drain --disable-eviction deletes pods with a protobuf DeleteOptions: the server answers
node n1 and one pod dp on it, then 404 for the pod once it is deleted.
"""
import http.server
import json
import sys

LOG = sys.argv[2]
DELETED = []
CORE = [("namespaces", "Namespace", False), ("pods", "Pod", True), ("services", "Service", True),
        ("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
        ("serviceaccounts", "ServiceAccount", True), ("nodes", "Node", False),
        ("pods/binding", "Binding", True), ("pods/eviction", "Eviction", True)]
APPS = [("statefulsets", "StatefulSet", True), ("statefulsets/scale", "Scale", True)]
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def resource_list(gv, res):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [{"name": p, "singularName": "" if "/" in p else k.lower(),
                           "namespaced": n, "kind": k, "verbs": VERBS} for p, k, n in res]}


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, obj, code=200):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def not_found(self):
        self.reply({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "reason": "NotFound", "code": 404}, 404)

    def do_GET(self):
        p = self.path.split("?")[0]
        parts = p.strip("/").split("/")
        if p == "/version":
            return self.reply({"major": "1", "minor": "32", "gitVersion": "v1.32.0"})
        if p == "/api":
            return self.reply({"kind": "APIVersions", "versions": ["v1"]})
        if p == "/apis":
            gv = {"groupVersion": "apps/v1", "version": "v1"}
            return self.reply({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": "apps", "versions": [gv], "preferredVersion": gv}]})
        if p == "/api/v1":
            return self.reply(resource_list("v1", CORE))
        if p == "/apis/apps/v1":
            return self.reply(resource_list("apps/v1", APPS))
        if p == "/api/v1/nodes/n1":
            return self.reply({"kind": "Node", "apiVersion": "v1",
                               "metadata": {"name": "n1", "resourceVersion": "3"}, "spec": {}})
        if p == "/api/v1/pods":
            items = [] if DELETED else [{"metadata": {"name": "dp", "namespace": "default",
                                                      "uid": "u1", "resourceVersion": "5"},
                                         "spec": {"nodeName": "n1",
                                                  "containers": [{"name": "c", "image": "i"}]}}]
            return self.reply({"kind": "PodList", "apiVersion": "v1",
                               "metadata": {"resourceVersion": "9"}, "items": items})
        if "pods" in parts and len(parts) >= 5 and not DELETED:
            return self.reply({"kind": "Pod", "apiVersion": "v1",
                               "metadata": {"name": parts[-1], "namespace": "default"},
                               "spec": {"nodeName": "n1",
                                        "containers": [{"name": "c", "image": "i"}]}})
        self.not_found()

    def log_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "ct": self.headers.get("Content-Type"),
                                "body": body.hex()}) + "\n")

    def do_POST(self):
        self.log_body()
        self.reply({"apiVersion": "v1", "kind": "Status", "status": "Success",
                    "metadata": {}}, 201)

    do_PUT = do_POST

    def do_PATCH(self):
        self.log_body()
        self.do_GET()

    def do_DELETE(self):
        self.log_body()
        DELETED.append(self.path)
        self.reply({"kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": {}})

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
