/** List pagination: opaque continue tokens carrying the list's resourceVersion and where the next chunk starts. */
package io.capstan.gateway.paging;
