/** The custom resources benchmark: creates and gets of a custom kind beside ConfigMaps, and how fast a CRD is served. */
package io.capstan.loadtests.crd;
