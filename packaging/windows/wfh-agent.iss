; Inno Setup 6.3+ script for WFH Agent: installs the PyInstaller one-folder build per user.
;
; Build the bundle first (on Windows, in the project's venv):
;     python -m PyInstaller --noconfirm --clean build.spec      -> dist\wfh-agent\wfh-agent.exe
; then compile this script from the repository root, passing the version from pyproject.toml:
;     "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.2.0 packaging\windows\wfh-agent.iss
; The installer lands in dist\installer\wfh-agent-<version>-setup.exe. See docs/PACKAGING.md.
;
; Per-user install (PrivilegesRequired=lowest): no UAC prompt, {autopf} resolves to
; %LOCALAPPDATA%\Programs, and the autostart value the app writes lives in HKCU as well.
; Uninstalling removes the program and the autostart value, never the user's data
; (%LOCALAPPDATA%\wfh-agent: database, backups, logs).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "WFH Agent"
#define AppExe "wfh-agent.exe"
#define SourceDir "..\..\dist\wfh-agent"

[Setup]
; AppId identifies the app for upgrades and uninstall; never change it once released.
AppId={{6B1C4E2A-3F5D-4B8E-9A27-0C4D5E6F7A81}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=WFH Agent
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\installer
OutputBaseFilename=wfh-agent-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\app\wfh-agent.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; Ask a running copy to close (Restart Manager) so its files can be replaced on upgrade.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "Start {#AppName} when I sign in"; GroupDescription: "Startup:"

[Files]
; The whole one-folder bundle: the executable and its _internal\ folder.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; Files of an older build that the new one no longer ships (e.g. dropped Qt plugins).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; Same value the app's Settings toggle writes (app/autostart/_windows.py), so both agree.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "WFH Agent"; ValueData: """{app}\{#AppExe}"" --minimized"; Tasks: autostart; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
// The app may have created the autostart value itself (Settings), outside the [Registry]
// entry above; remove it on uninstall either way so nothing points at a deleted program.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RegDeleteValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run', 'WFH Agent');
end;
