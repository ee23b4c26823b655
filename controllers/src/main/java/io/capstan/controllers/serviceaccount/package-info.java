/** The ServiceAccounts controller: a {@code default} ServiceAccount in every namespace. */
package io.capstan.controllers.serviceaccount;
