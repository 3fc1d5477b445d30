include $(sort $(wildcard $(BR2_EXTERNAL_THUNDER_LXC_PATH)/package/*/*.mk))
