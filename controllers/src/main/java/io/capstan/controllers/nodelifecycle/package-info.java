/**
 * The node lifecycle controller: nodes whose Lease and status stop being renewed become
 * Ready=Unknown and get the unreachable / not-ready taints (TaintNodesByCondition and
 * taint-based eviction), and pods on nodes with NoExecute taints they do not tolerate are evicted
 * after their toleration seconds (kube-controller-manager's node-lifecycle and taint-eviction
 * controllers).
 */
package io.capstan.controllers.nodelifecycle;
