package io.capstan.ops;

import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.security.ComponentCertificates;
import io.capstan.stateviews.bootstrap.DefaultRoles;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code capstan certs}: certificates of the cluster CA for components run on their own
 * ({@code capstan controllers}, {@code scheduler}, {@code node-agent}), issued by the admin where
 * the CA is, so that those machines hold their own credential and never the CA key: each can act
 * only as its own identity, with the roles bound to it (a node: NodeRestriction on top).
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
    description = "Issues certificates of the cluster CA (DATA_DIR/pki) for components run on their own.",
    subcommands = {CertsCommand.Issue.class})
final class CertsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** The components a certificate can be issued for. */
  enum Component { controllers, scheduler, node_agent }

  /** The identity a component acts as (docs/identity.md): its certificate's common name. */
  static String identityOf(Component component, String nodeName) {
    return switch (component) {
      case controllers -> DefaultRoles.CONTROLLER_MANAGER_USER;
      case scheduler -> DefaultRoles.SCHEDULER_USER;
      case node_agent -> DefaultRoles.NODE_USER_PREFIX + nodeName;
    };
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = {"Issues a component's key and certificate from the cluster CA into --out: <name>.crt, <name>.key"
          + " (mode 0600) and the CA's ca.crt. Copy that directory to the component's machine and start it with"
          + " --client-cert and --client-key: it authenticates as its own identity only, and needs no copy of the"
          + " CA key.",
          "A node agent's certificate names its node (system:node:NAME in group system:nodes): it may write only its"
              + " own Node and Lease and the status of pods bound to it."})
  static final class Issue implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--component", required = true, paramLabel = "controllers|scheduler|node-agent",
        converter = ComponentConverter.class, description = "The component the certificate is for.")
    Component component;

    @Option(names = "--node-name", paramLabel = "NAME", description = "The node, for --component node-agent.")
    String nodeName;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the files.")
    Path out;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = Defaults.DATA_DIR,
        description = "The data dir of the `capstan up` whose CA issues it (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if ((component == Component.node_agent) != (nodeName != null)) {
        throw new ParameterException(spec.commandLine(), component == Component.node_agent
            ? "--component node-agent needs --node-name: a node's certificate names its node"
            : "--node-name is only for --component node-agent");
      }
      if (nodeName != null && !nodeName.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
        throw new ParameterException(spec.commandLine(), "--node-name \"" + nodeName
            + "\": a node's name is a DNS subdomain (lower-case letters, digits, '-' and '.')");
      }
      String identity = identityOf(component, nodeName);
      CertificateAuthority.ClientCertFiles files;
      try {
        files = ComponentCertificates.issueTo(dataDir.toAbsolutePath().normalize().resolve("pki"), identity, out);
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println(e.getMessage());
        return 1;
      }
      PrintWriter o = spec.commandLine().getOut();
      o.println("issued " + identity + ": " + files.cert() + ", " + files.key() + " and "
          + out.resolve("ca.crt"));
      o.println("start it with: --client-cert " + files.cert() + " --client-key " + files.key());
      o.flush();
      return 0;
    }
  }

  /** {@code node-agent} as the command is named, and the enum's own names. */
  static final class ComponentConverter implements picocli.CommandLine.ITypeConverter<Component> {
    @Override
    public Component convert(String value) {
      try {
        return Component.valueOf(value.replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException("expected controllers, scheduler or node-agent, got \""
            + value + "\"");
      }
    }
  }
}
