/** Server-side printing: meta.k8s.io Table responses with the columns kubectl users know. */
package io.capstan.gateway.table;
