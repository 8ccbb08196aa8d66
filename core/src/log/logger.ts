import type { Logger, LogLevel } from '../vocabulary.js';
import { EventBus, now } from './events.js';

/** A logger that turns calls into `log` events on a bus. */
export class EventLogger implements Logger {
  constructor(
    private readonly bus: EventBus,
    /** the element (or `element script`) whose lines these are */
    readonly scope?: string,
    private readonly phase?: () => string | undefined,
  ) {}
  private emit(level: LogLevel, message: string): void {
    for (const line of message.split('\n')) {
      this.bus.emit({ type: 'log', time: now(), level, scope: this.scope, phase: this.phase?.(), message: line });
    }
  }
  debug(message: string): void {
    this.emit('debug', message);
  }
  info(message: string): void {
    this.emit('info', message);
  }
  warn(message: string): void {
    this.emit('warn', message);
  }
  error(message: string): void {
    this.emit('error', message);
  }
  child(scope: string): Logger {
    return new EventLogger(this.bus, scope, this.phase);
  }
}

/** A logger that drops everything (for library use and tests). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
