// The top of every DirectDrop screen: the mark, this device's editable name and the server status.

import type { NetworkStatus } from '../core/transport';
import { LogoMark } from './logo-mark';
import { SelfNameField } from './self-name-field';
import { ServerStatus } from './server-status';

interface AppHeaderProps {
  name: string;
  onRename(name: string): Promise<void>;
  server: NetworkStatus;
  serverProblem?: string | undefined;
}

export function AppHeader({ name, onRename, server, serverProblem }: AppHeaderProps) {
  return (
    <header class="app-header">
      <LogoMark size={40} />
      <span class="app-header__brand">DirectDrop</span>
      <ServerStatus status={server} problem={serverProblem} />
      <SelfNameField name={name} onRename={onRename} />
    </header>
  );
}
