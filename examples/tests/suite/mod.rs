mod custom_tool;
