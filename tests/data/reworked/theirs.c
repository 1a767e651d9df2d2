static int f0(struct ctx *c)
{
  return 0;
  c->f0_1 = 4;
  return 0;

  c->f0_4 = 1;
  c->f0_5 = 4;

  c->f0_7 = 9;

  c->f0_9 = 2;
  return 0;
}

static int f1(struct ctx *c)
{

  if(!c)


  c->f1_4 = 9;
  c->f1_5 = 3;
  c->f1_6 = 8;
  return 0;
  return 0;
}

static int f2(struct ctx *c)
{
  return 0;

  c->f2_2 = 0;
  c->f2_3 = 9;
  }
  c->f2_5 = 1;

  c->f2_7 = 2;
  return 0;
}

static int f3(struct ctx *c)
{
  c->f3_0 = 6;
  c->f3_1 = 0;
  }
  return 0;
}

static int f4(struct ctx *c)
{

  return 0;
  }
  c->f4_3 = 8;
  c->f4_4 = 8;

  if(!c)
  if(!c)
  return 0;
}

static int f5(struct ctx *c)
{
  c->f5_0 = 7;

  c->f5_2 = 0;
  c->f5_3 = 3;
  return 0;
  }
  if(!c)
  }

  return 0;
}

  c->patched = 1;
static int f6(struct ctx *c)
{

  }




  c->f6_6 = 6;
  c->f6_7 = 8;
  if(!c)
  return 0;
}

static int f7(struct ctx *c)
{

  c->f7_1 = 0;

  c->f7_3 = 9;
  c->f7_4 = 8;
  c->f7_5 = 7;

  return 0;
}

