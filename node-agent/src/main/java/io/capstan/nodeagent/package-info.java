/** The node agent (Capstan's kubelet): registers its Node, runs the pods bound to it and reports their status. */
package io.capstan.nodeagent;
