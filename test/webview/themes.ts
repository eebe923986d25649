/**
 * The --vscode-* variables a webview receives, for the stand-in page: a subset of VS Code's Light+, Dark+
 * and High Contrast themes (values from the default themes), enough for every colour the panel and
 * @vscode-elements use to resolve.
 */
export type ThemeName = 'light' | 'dark' | 'high-contrast';

const common = {
  '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  '--vscode-editor-font-size': '14px',
};

export const THEMES: Record<ThemeName, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      ...common,
      '--vscode-foreground': '#3b3b3b', '--vscode-editor-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff',
      '--vscode-descriptionForeground': '#717171', '--vscode-disabledForeground': 'rgba(97, 97, 97, 0.5)',
      '--vscode-errorForeground': '#a1260d', '--vscode-focusBorder': '#005fb8', '--vscode-panel-border': '#e5e5e5',
      '--vscode-widget-border': '#e5e5e5', '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-button-secondaryHoverBackground': '#cccccc',
      '--vscode-button-border': 'rgba(0, 0, 0, 0.1)',
      '--vscode-textCodeBlock-background': '#f8f8f8', '--vscode-textLink-foreground': '#005fb8',
      '--vscode-editor-findMatchBackground': '#a8ac94', '--vscode-editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
      '--vscode-editor-findMatchBorder': '#005fb8', '--vscode-editor-selectionHighlightBackground': 'rgba(173, 214, 255, 0.5)',
      '--vscode-inputValidation-errorBackground': '#f2dede', '--vscode-inputValidation-errorBorder': '#be1100',
      '--vscode-charts-orange': '#d18616', '--vscode-testing-iconPassed': '#388a34',
      '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#3b3b3b', '--vscode-dropdown-border': '#cecece',
      '--vscode-settings-dropdownListBorder': '#cecece', '--vscode-panelTitle-activeBorder': '#005fb8',
      '--vscode-panelTitle-activeForeground': '#3b3b3b', '--vscode-panelTitle-inactiveForeground': '#3b3b3b',
      '--vscode-icon-foreground': '#3b3b3b', '--vscode-toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
      '--vscode-list-activeSelectionBackground': '#e8e8e8', '--vscode-list-hoverBackground': '#f2f2f2',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      ...common,
      '--vscode-foreground': '#cccccc', '--vscode-editor-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f',
      '--vscode-descriptionForeground': '#9d9d9d', '--vscode-disabledForeground': 'rgba(204, 204, 204, 0.5)',
      '--vscode-errorForeground': '#f85149', '--vscode-focusBorder': '#0078d4', '--vscode-panel-border': '#2b2b2b',
      '--vscode-widget-border': '#313131', '--vscode-editorWidget-background': '#202020',
      '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc', '--vscode-button-secondaryHoverBackground': '#3c3c3c',
      '--vscode-button-border': 'rgba(255, 255, 255, 0.07)',
      '--vscode-textCodeBlock-background': '#2b2b2b', '--vscode-textLink-foreground': '#4daafc',
      '--vscode-editor-findMatchBackground': '#9e6a03', '--vscode-editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
      '--vscode-editor-findMatchBorder': '#0078d4', '--vscode-editor-selectionHighlightBackground': 'rgba(173, 214, 255, 0.15)',
      '--vscode-inputValidation-errorBackground': '#5a1d1d', '--vscode-inputValidation-errorBorder': '#be1100',
      '--vscode-charts-orange': '#d18616', '--vscode-testing-iconPassed': '#73c991',
      '--vscode-dropdown-background': '#313131', '--vscode-dropdown-foreground': '#cccccc', '--vscode-dropdown-border': '#3c3c3c',
      '--vscode-settings-dropdownListBorder': '#454545', '--vscode-panelTitle-activeBorder': '#0078d4',
      '--vscode-panelTitle-activeForeground': '#cccccc', '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
      '--vscode-icon-foreground': '#cccccc', '--vscode-toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
      '--vscode-list-activeSelectionBackground': '#04395e', '--vscode-list-hoverBackground': '#2a2d2e',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...common,
      '--vscode-foreground': '#ffffff', '--vscode-editor-foreground': '#ffffff', '--vscode-editor-background': '#000000',
      '--vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)', '--vscode-disabledForeground': '#a5a5a5',
      '--vscode-errorForeground': '#f48771', '--vscode-focusBorder': '#f38518', '--vscode-panel-border': '#6fc3df',
      '--vscode-contrastBorder': '#6fc3df', '--vscode-contrastActiveBorder': '#f38518', '--vscode-widget-border': '#6fc3df',
      '--vscode-editorWidget-background': '#0c141f',
      '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000', '--vscode-button-secondaryForeground': '#ffffff',
      '--vscode-textCodeBlock-background': '#000000', '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-editor-findMatchBackground': 'transparent', '--vscode-editor-findMatchHighlightBackground': 'transparent',
      '--vscode-editor-findMatchBorder': '#f38518', '--vscode-editor-selectionHighlightBackground': 'transparent',
      '--vscode-inputValidation-errorBackground': '#000000', '--vscode-inputValidation-errorBorder': '#f48771',
      '--vscode-charts-orange': '#d18616', '--vscode-testing-iconPassed': '#73c991',
      '--vscode-dropdown-background': '#000000', '--vscode-dropdown-foreground': '#ffffff', '--vscode-dropdown-border': '#6fc3df',
      '--vscode-panelTitle-activeBorder': '#6fc3df', '--vscode-panelTitle-activeForeground': '#ffffff',
      '--vscode-panelTitle-inactiveForeground': '#ffffff', '--vscode-icon-foreground': '#ffffff',
    },
  },
};
