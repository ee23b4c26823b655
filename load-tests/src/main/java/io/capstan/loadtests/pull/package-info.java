/** {@code capstan bench pull}: image pulls from a loopback registry against skopeo's in the same run. */
package io.capstan.loadtests.pull;
