package io.capstan.ops;

import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code capstan} command: one entry point, a subcommand per way of running Capstan. */
@Command(name = "capstan", mixinStandardHelpOptions = true, versionProvider = Capstan.Version.class,
    description = "An event-sourced container orchestrator speaking the Kubernetes API, on Kafka.",
    subcommands = {UpCommand.class, BrokerCommand.class, StateViewsCommand.class, GatewayCommand.class,
        ControllersCommand.class, SchedulerCommand.class, NodeAgentCommand.class, ReplayCommand.class, AuditCommand.class, KeysCommand.class, CertsCommand.class, ImageCommand.class,
        BenchCommand.class, AotTrainingCommand.class, CommandLine.HelpCommand.class},
    footer = {
        "  test         Installs what the tests need, then runs every test",
        "                 (mvn verify); handled by the ./capstan script itself.",
        "",
        "Each command takes --help. JVM options go in CAPSTAN_JAVA_OPTS (e.g. -Xmx2g)."})
public final class Capstan implements Callable<Integer> {
  @Spec CommandSpec spec;

  public static void main(String[] args) {
    // The JDK HTTP client's buffers (16 kB by default) decide how often a streaming response
    // wakes its selector: registry pulls stream layers of tens of MiB through it and spent a
    // quarter of their CPU on those wake-ups. Read once, when the client's classes load.
    if (System.getProperty("jdk.httpclient.bufsize") == null) {
      System.setProperty("jdk.httpclient.bufsize", Integer.toString(1 << 18));
    }
    int status = commandLine().execute(args);
    LogFiles.flush();
    System.exit(status);
  }

  /** The parser with Capstan's error handling, for {@link #main} and for tests. */
  static CommandLine commandLine() {
    return new CommandLine(new Capstan()).setParameterExceptionHandler((e, args) -> {
      // Bad flags: what is wrong and where the help is, not the whole usage text.
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println(cmd.getColorScheme().errorText(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage()));
      CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
      cmd.getErr().println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for its flags.");
      cmd.getErr().flush();
      return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }).setExecutionExceptionHandler((e, cmd, parsed) -> {
      // The user sees the message chain; the log (and its file) keeps the stack trace.
      LoggerFactory.getLogger(Capstan.class).error("capstan {} failed", cmd.getCommandName(), e);
      StringBuilder message = new StringBuilder("capstan " + cmd.getCommandName() + ": " + e.getMessage());
      for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
        if (c.getMessage() != null && !message.toString().contains(c.getMessage())) {
          message.append("\n  caused by: ").append(c.getMessage());
        }
      }
      cmd.getErr().println(cmd.getColorScheme().errorText(message.toString()));
      cmd.getErr().flush();
      return cmd.getCommandSpec().exitCodeOnExecutionException();
    });
  }

  /** Without a subcommand: say which ones there are. */
  @Override
  public Integer call() {
    spec.commandLine().getErr().println("capstan: missing command");
    spec.commandLine().usage(spec.commandLine().getErr());
    return spec.exitCodeOnInvalidInput();
  }

  /** The version Maven recorded in the jar; "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      Properties p = new Properties();
      try (InputStream in = Capstan.class.getResourceAsStream("/META-INF/maven/io.capstan/ops/pom.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"capstan " + p.getProperty("version", "development")};
    }
  }
}
