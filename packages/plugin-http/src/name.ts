/** PLUGIN_NAME: the plugin's name and every tap's name, equal to the package name. */
export const PLUGIN_NAME = '@metricore/plugin-http';
