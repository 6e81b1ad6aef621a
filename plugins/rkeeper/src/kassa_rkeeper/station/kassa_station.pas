{ Kassa station script for r_keeper 7 (Pascal Script in the cash-station form events).

  Posts the facts the cash server never exposes to the Kassa notify listener:
    unsaved_dish_deleted, order_quit_unsaved, employee_login, employee_logout, service_print.
  Payload (defined by Kassa, see docs/plugins/rkeeper.md):
    <StationEvent RestCode kind guid DateTime seq>
      <Station id code name NetName/> <Employee id code name/>
      <Order visit orderIdent guid table category/>?
      <Dish id code name uni line_guid quantity price amount/>*
      <Print printer category>ticket text</Print>?      (service_print only)
    </StationEvent>
  quantity is in thousandths, price/amount in kopecks, DateTime is station local time.

  Nothing is lost while Kassa is down or restarting: every event is numbered (seq, a counter
  kept on disk) and written to QUEUE_DIR before anything is sent; the queue is sent oldest
  first and a file is deleted only when Kassa answers 2xx. 400/413 (Kassa will never take
  that body) move the file to rejected\; anything else stops sending and retries after
  RETRY_MIN_MS, doubling up to RETRY_MAX_MS. Kassa reports a gap in seq as lost events.
  The simulator's twin of this script is kassa_rkeeper/sim_station.py: change both together
  (a test compares the constants below with it).

  Install: Manager station -> Service -> Scripts; attach the procedures below to the form
  events named in each comment; set KASSA_URL, REST_CODE, SECRET (as [sites.rkeeper] secret)
  and QUEUE_DIR (a folder of its own on each till). Verify the HTTP object name
  (WinHttp.WinHttpRequest.5.1), TTimer and the file functions are allowed by your build. }

const
  KASSA_URL = 'http://192.168.0.10:8086/rkeeper/notify';
  REST_CODE = '199990001';
  SECRET = '';                      { [sites.rkeeper] secret; sent as X-Kassa-Secret }
  QUEUE_DIR = 'C:\UCS\kassa_queue\';
  TIMEOUT_MS = 2000;                { one POST never holds the till longer than this }
  RETRY_MIN_MS = 2000;
  RETRY_MAX_MS = 30000;
  TICK_MS = 1000;
  FLUSH_MAX = 50;                   { events sent per flush at most }

var
  KassaSeq: integer;                { the last number given }
  KassaSent: integer;               { the last number dealt with (sent, rejected or lost) }
  KassaLoaded: boolean;
  KassaFails: integer;
  KassaNextTry: TDateTime;
  KassaTimer: TTimer;

function XmlEsc(const S: string): string;
begin
  Result := StringReplace(S, '&', '&amp;', [rfReplaceAll]);
  Result := StringReplace(Result, '<', '&lt;', [rfReplaceAll]);
  Result := StringReplace(Result, '>', '&gt;', [rfReplaceAll]);
  Result := StringReplace(Result, '"', '&quot;', [rfReplaceAll]);
end;

function RefXml(const Tag: string; Ident: integer; const Code, Name: string): string;
begin
  Result := '<' + Tag + ' id="' + IntToStr(Ident) + '" code="' + XmlEsc(Code) +
            '" name="' + XmlEsc(Name) + '"/>';
end;

function NewGuid: string;
begin
  Result := GUIDToString(CreateGUID);  { braces, upper case, as r_keeper writes GUIDs }
end;

function QueueFile(N: integer): string;
begin
  Result := QUEUE_DIR + 'queue\' + Format('%.10d', [N]) + '.xml';
end;

procedure KassaSaveState;
var
  L: TStringList;
begin
  L := TStringList.Create;
  try
    L.Add(IntToStr(KassaSeq));
    L.Add(IntToStr(KassaSent));
    L.SaveToFile(QUEUE_DIR + 'state.txt');
  finally
    L.Free;
  end;
end;

procedure KassaLoadState;
var
  L: TStringList;
begin
  if KassaLoaded then Exit;
  KassaLoaded := True;
  KassaSeq := 0;
  KassaSent := 0;
  KassaFails := 0;
  KassaNextTry := 0;
  ForceDirectories(QUEUE_DIR + 'queue');
  ForceDirectories(QUEUE_DIR + 'rejected');
  if FileExists(QUEUE_DIR + 'state.txt') then
  begin
    L := TStringList.Create;
    try
      L.LoadFromFile(QUEUE_DIR + 'state.txt');
      if L.Count >= 2 then
      begin
        KassaSeq := StrToIntDef(L[0], 0);
        KassaSent := StrToIntDef(L[1], 0);
      end;
    finally
      L.Free;
    end;
  end;
end;

{ 'delivered', 'rejected' or 'failed': the one rule for an answer (sim_station.outcome). }
function KassaSend(const Xml: string): string;
var
  Http: Variant;
  Status: integer;
begin
  Result := 'failed';
  try
    Http := CreateOleObject('WinHttp.WinHttpRequest.5.1');
    Http.Open('POST', KASSA_URL, False);
    Http.SetTimeouts(TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS);
    Http.SetRequestHeader('Content-Type', 'application/xml; charset=utf-8');
    if SECRET <> '' then
      Http.SetRequestHeader('X-Kassa-Secret', SECRET);
    Http.Send(UTF8Encode(Xml));
    Status := Http.Status;
    if (Status >= 200) and (Status < 300) then
      Result := 'delivered'
    else if (Status = 400) or (Status = 413) then
      Result := 'rejected';
  except
    { Kassa unreachable: the till keeps working; the event waits in the queue. }
  end;
end;

procedure KassaFlush;
var
  N, Done, Backoff, I: integer;
  L: TStringList;
  Answer: string;
begin
  KassaLoadState;
  Done := 0;
  while (KassaSent < KassaSeq) and (Done < FLUSH_MAX) do
  begin
    N := KassaSent + 1;
    if FileExists(QueueFile(N)) then
    begin
      L := TStringList.Create;
      try
        L.LoadFromFile(QueueFile(N));
        Answer := KassaSend(L.Text);
      finally
        L.Free;
      end;
      if Answer = 'failed' then
      begin
        KassaFails := KassaFails + 1;
        Backoff := RETRY_MIN_MS;
        for I := 2 to KassaFails do
          if Backoff < RETRY_MAX_MS then Backoff := Backoff * 2;
        if Backoff > RETRY_MAX_MS then Backoff := RETRY_MAX_MS;
        KassaNextTry := Now + Backoff / 86400000;
        Exit;
      end;
      if Answer = 'rejected' then
        RenameFile(QueueFile(N), QUEUE_DIR + 'rejected\' + Format('%.10d', [N]) + '.xml')
      else
        DeleteFile(QueueFile(N));
      Done := Done + 1;
    end;
    { a missing file was lost before it was queued: Kassa reports the gap }
    KassaSent := N;
    KassaSaveState;
    KassaFails := 0;
    KassaNextTry := 0;
  end;
end;

procedure KassaOnTimer(Sender: TObject);
begin
  if (KassaSent < KassaSeq) and (Now >= KassaNextTry) then
    KassaFlush;
end;

procedure KassaStartTimer;
begin
  if KassaTimer <> nil then Exit;
  KassaTimer := TTimer.Create(nil);
  KassaTimer.Interval := TICK_MS;
  KassaTimer.OnTimer := @KassaOnTimer;
  KassaTimer.Enabled := True;
end;

procedure KassaPost(const Kind, Body: string);
var
  L: TStringList;
begin
  KassaLoadState;
  KassaStartTimer;
  KassaSeq := KassaSeq + 1;
  KassaSaveState;  { the number is taken even if writing the file fails: Kassa sees a gap }
  L := TStringList.Create;
  try
    L.Text := '<?xml version="1.0" encoding="utf-8"?>' +
      '<StationEvent RestCode="' + REST_CODE + '" kind="' + Kind + '" guid="' + NewGuid +
      '" DateTime="' + FormatDateTime('yyyy-mm-dd"T"hh:nn:ss', Now) +
      '" seq="' + IntToStr(KassaSeq) + '">' +
      '<Station id="' + IntToStr(RK7.CashStation.Ident) + '" code="' +
      XmlEsc(RK7.CashStation.Code) + '" name="' + XmlEsc(RK7.CashStation.Name) +
      '" NetName="' + XmlEsc(RK7.CashStation.NetName) + '"/>' +
      RefXml('Employee', RK7.CashUser.Ident, RK7.CashUser.Code, RK7.CashUser.Name) +
      Body + '</StationEvent>';
    L.SaveToFile(QueueFile(KassaSeq));
  finally
    L.Free;
  end;
  if Now >= KassaNextTry then
    KassaFlush;
end;

function OrderXml(Order: TRK7Order): string;
begin
  Result := '<Order visit="' + IntToStr(Order.Visit) + '" orderIdent="' +
            IntToStr(Order.Ident) + '" guid="' + Order.GUIDString + '" table="' +
            XmlEsc(Order.Table.Code) + '" category="' + XmlEsc(Order.OrderCategory.Name) + '"/>';
end;

function DishXml(Dish: TDish): string;
begin
  Result := '<Dish id="' + IntToStr(Dish.Sifr) + '" code="' + XmlEsc(Dish.Code) +
            '" name="' + XmlEsc(Dish.Name) + '" uni="' + IntToStr(Dish.UNI) +
            '" line_guid="' + Dish.GUIDString +
            '" quantity="' + IntToStr(Round(Dish.Quantity * 1000)) +
            '" price="' + IntToStr(Round(Dish.Price * 100)) +
            '" amount="' + IntToStr(Round(Dish.PRListSum * 100)) + '"/>';
end;

{ Form event CheckView.OnAfterCheckViewEdit: a deleted line that was never printed. }
procedure CheckViewOnAfterCheckViewEdit(Sender: TObject; AEditType: TEditType;
  AObjectBef, AObjectAft: TObject);
begin
  if (AEditType = etRemove) and (AObjectBef is TDish) and
     TDish(AObjectBef).IsUnprintedDish then
    KassaPost('unsaved_dish_deleted', OrderXml(RK7.CashOrder) + DishXml(TDish(AObjectBef)));
end;

{ Form event OnOperation: leaving an order with unsaved lines, login and logout. }
procedure KassaOnOperation(Operation: integer; var AllowContinue: boolean);
var
  I: integer;
  Body: string;
begin
  if Operation = rkoQuitOrder then
  begin
    Body := '';
    for I := 0 to RK7.CashOrder.SessionLines.Count - 1 do
      if RK7.CashOrder.SessionLines.Items[I] is TDish then
        if not TDish(RK7.CashOrder.SessionLines.Items[I]).Saved then
          Body := Body + DishXml(TDish(RK7.CashOrder.SessionLines.Items[I]));
    if Body <> '' then
      KassaPost('order_quit_unsaved', OrderXml(RK7.CashOrder) + Body);
  end
  else if Operation = rkoUserLogin then
    KassaPost('employee_login', '')
  else if Operation = rkoUserLogout then
    KassaPost('employee_logout', '');
end;

{ Layout designer, service print (kitchen/bar ticket) "after print" handler. }
procedure KassaOnServicePrint(const PrinterName, TicketText: string);
begin
  KassaPost('service_print', OrderXml(RK7.CashOrder) + '<Print printer="' +
            XmlEsc(PrinterName) + '" category="' + XmlEsc(RK7.CashOrder.OrderCategory.Name) +
            '">' + XmlEsc(TicketText) + '</Print>');
end;
