/**
 * How wallet events change a pass and which status callback (seed 003 "Pass Callbacks") each
 * change sends. One callback per state change; an event that changes nothing sends nothing, so
 * repeated requests from a device or a re-delivered Google callback are harmless.
 */
export type PassStatus = 'Redeemed' | 'Registered' | 'Deregistered' | 'Removed';
export type WalletOS = 'Apple' | 'Google';

export type WalletEvent =
  /** A device registered for updates of the pass (it now has at least one registered device). */
  | { kind: 'appleRegistered' }
  /** A device unregistered; `devicesLeft` are still registered for the pass. */
  | { kind: 'appleUnregistered'; devicesLeft: number }
  | { kind: 'googleSaved' }
  | { kind: 'googleDeleted' };

export interface WalletState {
  is_redeemed: boolean;
  registered: boolean;
  is_removed: boolean;
}

export interface WalletChanges {
  is_redeemed?: boolean;
  redeemed_timestamp?: Date;
  device_os?: WalletOS;
  registered?: boolean;
  registered_timestamp?: Date;
  is_removed?: boolean;
  removed_timestamp?: Date;
}

export interface WalletTransition {
  deviceOS: WalletOS;
  changes: WalletChanges;
  /** The callback to send, or null when the event changes nothing the organisation is told about. */
  status: PassStatus | null;
}

export function walletTransition(state: WalletState, event: WalletEvent, now: Date): WalletTransition {
  // First install, on either wallet: deviceOS records which one.
  const redeem = (os: WalletOS): WalletChanges => ({ is_redeemed: true, redeemed_timestamp: now, device_os: os });
  switch (event.kind) {
    case 'appleRegistered':
      if (!state.is_redeemed) return { deviceOS: 'Apple', changes: { ...redeem('Apple'), registered: true, registered_timestamp: now }, status: 'Redeemed' };
      if (!state.registered) return { deviceOS: 'Apple', changes: { registered: true, registered_timestamp: now }, status: 'Registered' };
      return { deviceOS: 'Apple', changes: {}, status: null };
    case 'appleUnregistered':
      if (state.registered && event.devicesLeft === 0) return { deviceOS: 'Apple', changes: { registered: false }, status: 'Deregistered' };
      return { deviceOS: 'Apple', changes: {}, status: null };
    case 'googleSaved':
      if (!state.is_redeemed) return { deviceOS: 'Google', changes: { ...redeem('Google'), ...(state.is_removed ? { is_removed: false } : {}) }, status: 'Redeemed' };
      // Saved again after a deletion: back in the wallet, but the seed has no status for a re-save.
      if (state.is_removed) return { deviceOS: 'Google', changes: { is_removed: false }, status: null };
      return { deviceOS: 'Google', changes: {}, status: null };
    case 'googleDeleted':
      if (!state.is_removed) return { deviceOS: 'Google', changes: { is_removed: true, removed_timestamp: now }, status: 'Removed' };
      return { deviceOS: 'Google', changes: {}, status: null };
  }
}

/** The Standard Webhooks message ID of a pass's nth status event: the same event always maps to the same ID. */
export function passCallbackId(passId: string, status: PassStatus, sequence: number): string {
  return `msg_pass_${passId}_${status}_${sequence}`;
}
