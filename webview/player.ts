/**
 * Step controls for every animated view: first, back, play/pause, forward, last, a scrubber and a speed.
 * Keyboard (when the view has focus): Space play/pause, ←/→ step, Home/End, and the controls are buttons
 * with labels for screen readers. With reduced motion, playing still steps but nothing animates.
 */
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { el } from './dom';

export interface PlayerOptions {
  readonly total: number;
  readonly initial: number;
  readonly label: string;
  /** called with the new step; may be async (steps loading from the host) */
  readonly onStep: (step: number) => void;
}

const SPEEDS = [1, 2, 4, 8, 16, 60];

export class Player {
  readonly element: HTMLElement;
  private current: number;
  private timer: number | undefined;
  private speed = 2;
  private readonly scrub: HTMLInputElement;
  private readonly position: HTMLElement;
  private readonly playButton: HTMLElement;

  constructor(private readonly o: PlayerOptions) {
    this.current = Math.min(Math.max(0, o.initial), Math.max(0, o.total - 1));
    const button = (icon: string, label: string, action: () => void) => {
      const b = el('vscode-toolbar-button' as 'button', { icon, label, title: label, 'aria-label': label });
      b.addEventListener('click', action);
      return b;
    };
    this.playButton = button('play', 'Play (Space)', () => this.toggle());
    this.scrub = el('input', {
      type: 'range',
      min: 0,
      max: Math.max(0, o.total - 1),
      value: this.current,
      class: 'scrub',
      'aria-label': `${o.label}: step`,
    });
    this.scrub.addEventListener('input', () => this.go(Number(this.scrub.value)));
    this.position = el('span', { class: 'position', 'aria-live': 'polite' });
    const speed = el('vscode-single-select' as 'select', {
      class: 'speed',
      'aria-label': 'Speed (steps per second)',
      title: 'Speed (steps per second)',
    });
    for (const s of SPEEDS)
      speed.append(el('vscode-option' as 'option', { value: String(s), selected: s === this.speed }, `${s}/s`));
    speed.addEventListener('change', () => {
      this.speed = Number((speed as unknown as { value: string }).value) || 2;
      if (this.timer !== undefined) {
        this.pause();
        this.play();
      }
    });
    this.element = el(
      'div',
      { class: 'player', role: 'toolbar', 'aria-label': `${o.label} controls`, tabindex: '0' },
      button('debug-restart', 'First step (Home)', () => this.go(0)),
      button('chevron-left', 'Step back (←)', () => this.go(this.current - 1)),
      this.playButton,
      button('chevron-right', 'Step forward (→)', () => this.go(this.current + 1)),
      button('debug-continue', 'Last step (End)', () => this.go(this.o.total - 1)),
      this.scrub,
      this.position,
      speed,
    );
    this.updateLabel();
  }

  /** Keyboard handling for the whole view (installed by the view on its container). */
  handleKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (target.closest('td[role=gridcell], input, vscode-single-select')) return;
    const keys: Record<string, () => void> = {
      ' ': () => this.toggle(),
      ArrowRight: () => this.go(this.current + 1),
      ArrowLeft: () => this.go(this.current - 1),
      Home: () => this.go(0),
      End: () => this.go(this.o.total - 1),
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  }

  get step(): number {
    return this.current;
  }

  go(step: number): void {
    const next = Math.min(Math.max(0, step), Math.max(0, this.o.total - 1));
    if (next === this.current && this.timer === undefined && String(next) === this.scrub.value) {
      this.o.onStep(next);
      return;
    }
    this.current = next;
    this.scrub.value = String(next);
    this.updateLabel();
    this.o.onStep(next);
    if (next >= this.o.total - 1) this.pause();
  }

  toggle(): void {
    if (this.timer === undefined) this.play();
    else this.pause();
  }

  play(): void {
    if (this.current >= this.o.total - 1) this.go(0);
    this.playButton.setAttribute('icon', 'debug-pause');
    this.playButton.setAttribute('label', 'Pause (Space)');
    this.timer = window.setInterval(() => this.go(this.current + 1), 1000 / this.speed);
  }

  pause(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
    this.playButton.setAttribute('icon', 'play');
    this.playButton.setAttribute('label', 'Play (Space)');
  }

  dispose(): void {
    this.pause();
  }

  private updateLabel(): void {
    this.position.textContent = `step ${this.current + 1} / ${this.o.total}`;
  }
}
