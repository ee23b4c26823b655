/** The controller-manager: one process's shared informers, command client and controllers, wired on one screen. */
package io.capstan.controllers.manager;
