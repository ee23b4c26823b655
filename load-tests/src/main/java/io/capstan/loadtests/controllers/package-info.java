/**
 * The controllers benchmark: Deployments created at once and rolled out, with the bench standing in
 * for kubelet (each new pod made Running and Ready by a status update).
 */
package io.capstan.loadtests.controllers;
