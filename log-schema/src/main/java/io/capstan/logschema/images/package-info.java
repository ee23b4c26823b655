/** Image references as users write them and Docker normalises them: validated where pods are written, resolved where they run. */
package io.capstan.logschema.images;
