/** Node selectors and required node affinity as Kubernetes' core/v1 helpers match them against a node. */
package io.capstan.logschema.nodeaffinity;
