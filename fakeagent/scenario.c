int fakeagent_scenario(int argc, char **argv)
{
	return 2;
}
