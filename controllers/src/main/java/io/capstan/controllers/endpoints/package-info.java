/** The Endpoints controller: for each Service with a selector, the ready and not-ready pod addresses and ports. */
package io.capstan.controllers.endpoints;
