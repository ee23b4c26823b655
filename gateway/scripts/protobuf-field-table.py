#!/usr/bin/env python3
"""Writes gateway/src/main/resources/io/capstan/gateway/protobuf/k8s-protobuf-fields.txt.

The table the gateway's protobuf reader is driven by: for each Kubernetes message we can meet
in a request body, its field numbers, JSON names, types, and whether the Go field is a pointer
(a zero value sent on the wire then means "set to zero", not "unset") or an inlined embedded
struct (its fields belong to the enclosing JSON object). The facts come from the published
Kubernetes API definitions, read from git repositories (no code is copied):
  - generated.proto of k8s.io/api (core/v1, apps/v1, batch/v1, coordination/v1, discovery/v1,
    authentication/v1, rbac/v1, authorization/v1, policy/v1, scheduling/v1, storage/v1, autoscaling/v1 and v2) and
    k8s.io/apimachinery (pkg/apis/meta/v1): message names, field numbers, protobuf types;
  - types.go of the same packages: struct tags (json name, ",inline", pointer types).

usage: protobuf-field-table.py API_GIT_DIR APIMACHINERY_GIT_DIR > k8s-protobuf-fields.txt
"""
import re
import subprocess
import sys

API, MACHINERY = sys.argv[1], sys.argv[2]
PACKAGES = [
    (API, "core/v1", "k8s.io.api.core.v1"),
    (API, "apps/v1", "k8s.io.api.apps.v1"),
    (API, "batch/v1", "k8s.io.api.batch.v1"),
    (API, "coordination/v1", "k8s.io.api.coordination.v1"),
    (API, "discovery/v1", "k8s.io.api.discovery.v1"),
    (API, "authentication/v1", "k8s.io.api.authentication.v1"),
    (API, "rbac/v1", "k8s.io.api.rbac.v1"),
    (API, "authorization/v1", "k8s.io.api.authorization.v1"),
    (API, "policy/v1", "k8s.io.api.policy.v1"),
    (API, "scheduling/v1", "k8s.io.api.scheduling.v1"),
    (API, "storage/v1", "k8s.io.api.storage.v1"),
    (API, "autoscaling/v1", "k8s.io.api.autoscaling.v1"),
    (API, "autoscaling/v2", "k8s.io.api.autoscaling.v2"),
    (MACHINERY, "pkg/apis/meta/v1", "k8s.io.apimachinery.pkg.apis.meta.v1"),
]
# Messages the Java reader knows by itself (their JSON form is not an object of their fields).
SPECIAL = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time": "time",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": "microtime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": "duration",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": "fieldsv1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "intorstring",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "rawextension",
}
ROOTS = [
    "k8s.io.api.core.v1.Namespace", "k8s.io.api.core.v1.Node", "k8s.io.api.core.v1.Pod",
    "k8s.io.api.core.v1.Service", "k8s.io.api.core.v1.Endpoints", "k8s.io.api.core.v1.ConfigMap",
    "k8s.io.api.core.v1.Secret", "k8s.io.api.core.v1.Event", "k8s.io.api.core.v1.ResourceQuota",
    "k8s.io.api.core.v1.LimitRange", "k8s.io.api.apps.v1.Deployment", "k8s.io.api.apps.v1.ReplicaSet",
    "k8s.io.api.batch.v1.Job", "k8s.io.api.coordination.v1.Lease", "k8s.io.api.discovery.v1.EndpointSlice",
    "k8s.io.api.core.v1.ServiceAccount", "k8s.io.api.authentication.v1.TokenRequest",
    "k8s.io.api.authentication.v1.TokenReview", "k8s.io.api.authentication.v1.SelfSubjectReview",
    "k8s.io.api.rbac.v1.Role", "k8s.io.api.rbac.v1.ClusterRole", "k8s.io.api.rbac.v1.RoleBinding",
    "k8s.io.api.rbac.v1.ClusterRoleBinding", "k8s.io.api.authorization.v1.SubjectAccessReview",
    "k8s.io.api.authorization.v1.LocalSubjectAccessReview", "k8s.io.api.authorization.v1.SelfSubjectAccessReview",
    "k8s.io.api.authorization.v1.SelfSubjectRulesReview",
    "k8s.io.api.policy.v1.PodDisruptionBudget", "k8s.io.api.policy.v1.Eviction",
    "k8s.io.api.batch.v1.CronJob", "k8s.io.api.scheduling.v1.PriorityClass",
    "k8s.io.api.apps.v1.DaemonSet",
    "k8s.io.api.apps.v1.ControllerRevision", "k8s.io.api.apps.v1.StatefulSet",
    "k8s.io.api.core.v1.PersistentVolume", "k8s.io.api.core.v1.PersistentVolumeClaim",
    "k8s.io.api.storage.v1.StorageClass",
    "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler", "k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler",
]
SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float",
           "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"}


def show(repo, path):
    return subprocess.run(["git", "--git-dir", repo, "show", "HEAD:" + path], check=True,
                          capture_output=True, text=True).stdout


messages = {}  # full name -> list of (num, protoName, type, card)
FIELD = re.compile(r"^\s+(optional|repeated)\s+(\S+)\s+(\w+)\s*=\s*(\d+)")
MAP = re.compile(r"^\s+map<\s*(\S+)\s*,\s*(\S+)\s*>\s+(\w+)\s*=\s*(\d+)")
for repo, path, package in PACKAGES:
    current = None
    for line in show(repo, path + "/generated.proto").splitlines():
        m = re.match(r"^message (\w+) \{", line)
        if m:
            current = package + "." + m.group(1)
            messages[current] = []
            continue
        if line.startswith("}"):
            current = None
            continue
        if current is None:
            continue
        m = FIELD.match(line)
        if m:
            card, typ, name, num = m.groups()
            if typ not in SCALARS:
                typ = typ.lstrip(".") if typ.startswith(".") else package + "." + typ
            messages[current].append((int(num), name, typ, "rep" if card == "repeated" else "opt"))
            continue
        m = MAP.match(line)
        if m:
            key, value, name, num = m.groups()
            assert key == "string", line
            if value not in SCALARS:
                value = value.lstrip(".") if value.startswith(".") else package + "." + value
            messages[current].append((int(num), name, value, "map"))

# types.go: struct -> {field number: (json name, pointer, inline)}
TAG = re.compile(r'^\s+(?:(\w+)\s+)?(\S+)\s+`(.*)`')
tags = {}
for repo, path, package in PACKAGES:
    current = None
    for line in show(repo, path + "/types.go").splitlines():
        m = re.match(r"^type (\w+) struct \{", line)
        if m:
            current = package + "." + m.group(1)
            tags[current] = {}
            continue
        if line.startswith("}"):
            current = None
            continue
        if current is None:
            continue
        m = TAG.match(line)
        if not m:
            continue
        goname, gotype, tag = m.groups()
        proto = re.search(r'protobuf:"(\w+),(\d+),', tag)
        if not proto:
            continue
        json = re.search(r'json:"([^"]*)"', tag)
        jname = json.group(1).split(",")[0] if json else ""
        inline = (json is None and goname is None) or (json is not None and jname == "")
        tags[current][int(proto.group(2))] = (jname, gotype.startswith("*"), inline)

# only what a request body for one of our kinds can reach
reachable, todo = [], list(ROOTS)
while todo:
    name = todo.pop()
    if name in reachable or name in SPECIAL:
        continue
    if name not in messages:
        continue  # a type of a package we do not serve (alpha API groups): its field is left out
    reachable.append(name)
    for _, _, typ, _ in messages[name]:
        if typ not in SCALARS:
            todo.append(typ)

def head(repo):
    return subprocess.run(["git", "--git-dir", repo, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


print("# Generated by gateway/scripts/protobuf-field-table.py from kubernetes/api " + head(API)
      + " and kubernetes/apimachinery " + head(MACHINERY))
print("# (generated.proto: numbers and types; types.go: json names, pointers, inline). Do not edit by hand.")
print("# message <full name>")
print("# <number> <json name> <type> <opt|rep|map> [ptr] [inline]   (map: type is the value type, keys are strings)")
for name in sorted(reachable):
    print("message " + name)
    struct_tags = tags.get(name, {})
    for num, pname, typ, card in messages[name]:
        if typ not in SCALARS and typ not in SPECIAL and typ not in messages:
            print(f"# {num} {pname}: {typ} is not in the packages above, so this field is skipped")
            continue
        jname, pointer, inline = struct_tags.get(num, (pname, False, False))
        if not jname:
            jname = pname
        t = SPECIAL.get(typ, typ)
        flags = (" ptr" if pointer else "") + (" inline" if inline else "")
        print(f"{num} {jname} {t} {card}{flags}")
