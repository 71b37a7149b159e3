# Opens N connections to a unix socket and holds them, sending nothing, until stdin closes.
# Prints "held N" once they are open. Used to attack the control socket as another uid
# (through setpriv), see tests/integration/rpc_limits_test.ts.
use strict;
use warnings;
use IO::Socket::UNIX;
$| = 1;
my ($path, $n) = @ARGV;
my @held;
for (1 .. $n) {
  my $s = IO::Socket::UNIX->new(Peer => $path) or last;
  push @held, $s;
}
print "held " . scalar(@held) . "\n";
my $ignored = <STDIN>;
